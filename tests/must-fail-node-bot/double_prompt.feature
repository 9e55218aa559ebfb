# broken: double-prompt
# The broken bot plays the welcome prompt for every `established` notification, repeats too.
# expect: And the bot plays the prompt "https://example.com/welcome.wav" exactly once
# expect: the bot played the prompt "https://example.com/welcome.wav" more than once
@bot
Feature: A Node bot that acts twice on a repeated notification

  Scenario: The welcome prompt plays twice
    Given the stand-in delivers every notification twice
    When "John" calls the bot
    Then the bot answers the call within 5 seconds
    And the bot plays the prompt "https://example.com/welcome.wav" exactly once
