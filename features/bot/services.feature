@bot
Feature: The IVR bot greets the callers its CRM knows by name
  The bot looks each phone caller up in a CRM (`GET $CRM_URL/customers/{number}`). Its bot.toml
  names the service (`[services.crm] env = "CRM_URL"`), so callspec stands a mock server in for
  it and the steps say what the CRM answers and check what the bot asked it. Scenarios that
  use a service run one at a time (each from its first service step), so their stubs never mix;
  a scenario that does not use the CRM still reaches it through the bot, so these callers'
  number (+14255550170) is used by no other spec.

  Scenario: A caller the CRM knows hears their name
    Given the CRM answers "GET /customers/+14255550170" with:
      """
      name: Ada
      """
    When "+14255550170" calls the bot
    Then the bot answers the call within 5 seconds
    And the bot asked the CRM for "GET /customers/+14255550170"
    And the bot plays the prompt "https://example.com/welcome-back/Ada.wav"

  Scenario: A caller the CRM does not know hears the generic welcome
    Given the CRM answers "GET /customers/+14255550170" with 404
    When "+14255550170" calls the bot
    Then the bot answers the call within 5 seconds
    And the bot asked the CRM for "GET /customers/+14255550170"
    And the bot plays the prompt "https://example.com/welcome.wav"

  Scenario: A CRM that fails does not stop the welcome
    Given the CRM answers "GET /customers/+14255550170" with 503
    When "+14255550170" calls the bot
    Then the bot answers the call within 5 seconds
    And the bot plays the prompt "https://example.com/welcome.wav"

  Scenario: A CRM slower than the bot's one-second timeout leaves the generic welcome
    Given the CRM answers "GET /customers/+14255550170" with 200 after 3 seconds:
      """
      name: Ada
      """
    When "+14255550170" calls the bot
    Then the bot answers the call within 5 seconds
    And the bot plays the prompt "https://example.com/welcome.wav" within 3 seconds
