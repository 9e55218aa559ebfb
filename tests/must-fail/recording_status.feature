# The bot reported notRecording last: a spec that expects "recording" fails, naming what the
# bot reported.
# expect: at tests/must-fail/recording_status.feature:11:5
# expect: the bot reported the recording status "notRecording" last, expected "recording"
Feature: Must fail - the recording status
  Scenario: The bot stopped recording
    When "John" starts a call that Teams records with the bot
    And the bot answers the call
    And the bot reports the recording status "recording"
    And the bot reports the recording status "notRecording"
    Then the bot reports the recording status "recording"
