# broken: removes-the-caller
# The broken bot removes the caller when someone joins, instead of the one who joined.
# expect: Then the bot removes "Alice" from the call
# expect: the bot removed "John" (participant
# expect: from the call, expected "Alice"
@bot
Feature: A Node bot: a bot that removes the wrong participant

  Scenario: Alice joins and John is removed
    When "John" calls the bot
    Then the bot answers the call within 5 seconds
    And the bot subscribes to tones
    When "Alice" joins the call
    Then the bot removes "Alice" from the call
