@bot
Feature: The bot copes with the way Graph delivers notifications
  Graph may send a notification twice and out of order; a bot must do each thing once.

  Scenario: Every notification arrives twice: the welcome prompt plays once
    Given the stand-in delivers every notification twice
    When "John" calls the bot
    Then the bot answers the call within 5 seconds
    And the bot plays the prompt "https://example.com/welcome.wav" exactly once

  Scenario: Notifications arrive out of order: the bot still greets the caller
    Given the stand-in delivers notifications out of order
    When "John" calls the bot
    Then the bot answers the call within 5 seconds
    And the bot plays the prompt "https://example.com/welcome.wav" exactly once

  Scenario: The caller hangs up: the bot acknowledges the end of the call
    The acknowledgement check waits for what is due, the final `deleted` included.

    When "John" calls the bot
    Then the bot answers the call within 5 seconds
    And the bot subscribes to tones
    When the caller hangs up
    Then the bot has acknowledged the "deleted" notification
    And the bot acknowledged every notification with 2xx within 1 second

  Scenario: After goodbye the bot hangs up, and nothing is left unacknowledged
    When "John" calls the bot
    Then the bot answers the call within 5 seconds
    And the bot subscribes to tones
    When "John" presses 2
    Then the bot hangs up
    And the bot acknowledged every notification with 2xx within 1 second
    And the bot has acknowledged the "deleted" notification

  Scenario: A key letter is no menu entry: the bot plays nothing, and John hangs up
    When "John" calls the bot
    Then the bot answers the call within 5 seconds
    And the bot plays the prompt "https://example.com/welcome.wav"
    And the bot subscribes to tones
    When "John" presses D
    Then the bot makes no further requests within 2 seconds
    When "John" hangs up
    Then the bot has acknowledged the "deleted" notification
