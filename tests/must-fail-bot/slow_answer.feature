# broken: slow-answer
# The broken bot answers 20 seconds after the call comes in (Graph gives it 15).
# expect: Then the bot answers the call within 5 seconds
# expect: expected the bot to answer the call (a POST .../calls/
# expect: /answer) within 5 s; the bot made 0 request(s) for this scenario
@bot
Feature: A bot that answers too late

  Scenario: The answer does not come in time
    When "John" calls the bot
    Then the bot answers the call within 5 seconds
