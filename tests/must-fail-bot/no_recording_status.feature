# broken: no-recording-status
# The broken bot answers Teams' recording invite but never says that it records.
# expect: And the bot reports the recording status "recording" within 3 seconds
# expect: expected the bot to report the recording status "recording" (a POST .../calls/
# expect: /answer → 202
@bot
Feature: A recorder that does not report its recording

  Scenario: The recording status never comes
    When "John" starts a call that Teams records with the bot
    Then the bot answers the call within 5 seconds
    And the bot reports the recording status "recording" within 3 seconds
