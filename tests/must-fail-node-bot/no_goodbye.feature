# broken: no-goodbye
# The broken bot hangs up at once when the caller presses 2, without the goodbye prompt.
# expect: Then the bot plays the prompt "https://example.com/goodbye.wav" within 3 seconds
# expect: expected the bot to play the prompt "https://example.com/goodbye.wav" (a POST .../calls/
# expect: /playPrompt) within 3 s; the bot made 4 request(s) for this scenario:
# expect: DELETE /v1.0/communications/calls/
@bot
Feature: A Node bot that hangs up without saying goodbye

  Scenario: Pressing 2 ends the call at once
    When "John" calls the bot
    Then the bot answers the call within 5 seconds
    And the bot plays the prompt "https://example.com/welcome.wav"
    And the bot subscribes to tones
    When "John" presses 2
    Then the bot plays the prompt "https://example.com/goodbye.wav" within 3 seconds
    And the bot hangs up
