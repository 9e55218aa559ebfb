@bot
Feature: Key 3 leaves a voicemail: the bot records the caller and keeps the recording
  A voicemail bot prompts, records a response with a beep and a limit of its own, and downloads
  the recording from its recordingLocation with its recordingAccessToken before the call ends
  (Graph keeps it only for a short while). The stand-in serves the file only to that token.

  Scenario: The caller presses 3, leaves a message, and the bot keeps it
    When "John" calls the bot
    Then the bot answers the call within 5 seconds
    And the bot plays the prompt "https://example.com/welcome.wav"
    And the bot subscribes to tones
    When "John" presses 3
    Then the bot plays the prompt "https://example.com/voicemail.wav"
    And the bot records a response of at most 30 seconds with a beep
    When the caller speaks for 5 seconds
    Then the bot downloaded the recording
    And the bot hangs up
    And the bot has acknowledged the "deleted" notification
    And the bot acknowledged every notification with 2xx within 1 second

  Scenario: The bot's recordResponse, as the bot sends it
    When "+14255550123" calls the bot
    Then the bot answers the call within 5 seconds
    And the bot plays the prompt "https://example.com/welcome.wav"
    And the bot subscribes to tones
    When "+14255550123" presses 3
    Then the bot plays the prompt "https://example.com/voicemail.wav"
    And the bot's next request matches:
      """
      method: POST
      path: /communications/calls/${call.id}/recordResponse
      body:
        playBeep: true
        maxRecordDurationInSeconds: 30
        stopTones: ["#"]
      """
