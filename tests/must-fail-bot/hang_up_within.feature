# broken: none
# The bot keeps the call after its welcome; the spec says it hangs up within 2 seconds: the
# failure names the step's own limit.
# expect: Then the bot hangs up within 2 seconds
# expect: expected the bot to hang up (a DELETE .../calls/
# expect: ) within 2 s; the bot made 3 request(s) for this scenario
@bot
Feature: A time limit is named as the step says it

  Scenario: The bot does not hang up
    When "John" calls the bot
    Then the bot answers the call within 5 seconds
    And the bot plays the prompt "https://example.com/welcome.wav"
    And the bot subscribes to tones
    Then the bot hangs up within 2 seconds
