# broken: download-without-token
# The broken bot fetches the recording without its recordingAccessToken; the failure names the
# step's own limit.
# expect: Then the bot downloaded the recording within 15 seconds
# expect: expected the bot to download the recording (a GET /recordings/
# expect: answered 200) within 15 s;
# expect: the stand-in answered the bot's download 401
@bot
Feature: A voicemail the bot cannot keep

  Scenario: The download has no Bearer recordingAccessToken
    When "John" calls the bot
    Then the bot answers the call within 5 seconds
    And the bot subscribes to tones
    When "John" presses 3
    Then the bot records a response
    When the caller speaks for 5 seconds
    Then the bot downloaded the recording within 15 seconds
