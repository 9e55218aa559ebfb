# broken: no-crm-lookup
# The broken bot never looks its callers up in the CRM: the check lists what the CRM received
# (nothing) and the known caller hears the generic welcome.
# expect: And the bot asked the CRM for "GET /customers/+14255550123" within 3 seconds
# expect: the bot did not ask the CRM for GET /customers/+14255550123 within 3.0 s
# expect: what the CRM received since the scenario's first service step:
# expect:   (none)
@bot
Feature: A bot that never asks its CRM

  Scenario: The known caller is not looked up
    Given the CRM answers "GET /customers/+14255550123" with:
      """
      name: Ada
      """
    When "+14255550123" calls the bot
    Then the bot answers the call within 5 seconds
    And the bot asked the CRM for "GET /customers/+14255550123" within 3 seconds
