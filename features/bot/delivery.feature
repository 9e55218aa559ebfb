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
