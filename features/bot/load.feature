@bot
Feature: The IVR bot holds a burst of callers
  A burst of incoming calls, each from its own phone number: the bot must answer every one in
  time. The answer-time distribution (count, p50, p90, p99, max) is printed under each check.
  The limits leave room for a loaded CI machine (a p99 of 1.04 s was seen with both cores busy);
  the must-fail spec's broken bot answers one call in ten 4 s late.

  Scenario: Fifty callers in ten seconds are all answered quickly
    When 50 callers call the bot within 10 seconds
    Then the bot answered every call within 5 seconds
    And the bot's 99th-percentile answer time is under 3 seconds
