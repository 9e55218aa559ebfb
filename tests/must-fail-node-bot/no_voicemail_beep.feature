# broken: no-voicemail-beep
# The broken bot records the voicemail without the beep that tells the caller to speak.
# expect: Then the bot records a response of at most 30 seconds with a beep
# expect: the bot's recordResponse plays no beep (body.playBeep is false)
@bot
Feature: A Node bot: a voicemail without its beep

  Scenario: The caller never hears the beep
    When "John" calls the bot
    Then the bot answers the call within 5 seconds
    And the bot subscribes to tones
    When "John" presses 3
    Then the bot records a response of at most 30 seconds with a beep
