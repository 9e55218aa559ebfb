# broken: records-without-limit
# The broken bot's voicemail names no maxRecordDurationInSeconds: Graph cuts it at 5 seconds.
# expect: Then the bot records a response of at most 30 seconds
# expect: the bot's recordResponse names no maxRecordDurationInSeconds (at body.maxRecordDurationInSeconds)
# expect: default of 5 seconds; expected at most 30 seconds
@bot
Feature: A voicemail that Graph cuts short

  Scenario: The recording has Graph's default limit
    When "John" calls the bot
    Then the bot answers the call within 5 seconds
    And the bot subscribes to tones
    When "John" presses 3
    Then the bot records a response of at most 30 seconds
