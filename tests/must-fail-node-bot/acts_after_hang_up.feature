# broken: acts-after-hang-up
# The broken Node bot acts on a key press that reaches it after the call ended.
# expect: Then the bot makes no further requests within 2 seconds
# expect: expected no further requests from the bot within 2.0 s; it made:
# expect: /transfer
@bot
Feature: A Node bot that acts on a key press after the hang-up

  Scenario: The late key press starts a transfer of an ended call
    Given the stand-in delivers the key press after the hang-up
    When "John" calls the bot
    Then the bot answers the call within 5 seconds
    And the bot plays the prompt "https://example.com/welcome.wav"
    And the bot subscribes to tones
    When "John" presses 1
    And the callee hangs up
    Then the bot makes no further requests within 2 seconds
