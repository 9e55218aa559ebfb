# broken: wrong-transfer
# The broken bot transfers callers who press 1 to Bob.
# expect: Then the bot transfers the call to "Alice"
# expect: the bot transferred the call to "Bob", expected "Alice"
@bot
Feature: A Node bot that transfers to the wrong person

  Scenario: Pressing 1 reaches Bob
    When "John" calls the bot
    Then the bot answers the call within 5 seconds
    And the bot subscribes to tones
    When "John" presses 1
    Then the bot transfers the call to "Alice"
