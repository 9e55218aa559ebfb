@bot
Feature: The bot records the calls Teams invites it to
  A compliance-recording bot is invited by Teams, not called by a person: when a user whose
  recording policy names the bot starts a call, the bot gets an incoming call whose
  incomingContext observes that user. It must answer and report that it records
  (updateRecordingStatus), or a strict policy cancels the user's call (FIDELITY.md).

  Scenario: The bot answers the invite and reports that it records
    Given the recording policy is strict
    When "John" starts a call with "Alice" that Teams records with the bot
    Then the bot answers the call within 5 seconds
    And the bot reports the recording status "recording" within 5 seconds
    And the bot makes no further requests within 2 seconds
    And the bot acknowledged every notification with 2xx within 3 seconds

  Scenario: A recorded meeting: the bot records it too
    When "John" joins a meeting that Teams records with the bot
    Then the bot answers the call within 5 seconds
    And the bot reports the recording status "recording"
