# broken: slow-answer
# The broken bot answers every call 20 seconds after it comes in: none of the burst is answered
# within 2 seconds, and the failure gives the distribution and the calls not answered in time.
# expect: Then the bot answered every call within 2 seconds
# expect: the bot did not answer 10 of 10 calls within 2.0 s
# expect: 10 calls; 10 not answered within 2.0 s
# expect: call 1 (came in at +
@bot
Feature: A bot too slow for a burst

  Scenario: No call of the burst is answered in time
    When 10 callers call the bot within 1 second
    Then the bot answered every call within 2 seconds
