# broken: early-hang-up
# The broken Node bot hangs up as soon as the goodbye prompt has started.
# expect: And the bot hangs up after the prompt "https://example.com/goodbye.wav" has finished
# expect: before the prompt "https://example.com/goodbye.wav" had finished: the stand-in had not sent the completion of its playPrompt
@bot
Feature: A Node bot that hangs up before its goodbye has played

  Scenario: The goodbye is cut off
    Given the prompt "https://example.com/goodbye.wav" lasts 4 seconds
    When "John" calls the bot
    Then the bot answers the call within 5 seconds
    And the bot plays the prompt "https://example.com/welcome.wav"
    And the bot subscribes to tones
    When "John" presses 2
    Then the bot plays the prompt "https://example.com/goodbye.wav" within 3 seconds
    And the bot hangs up after the prompt "https://example.com/goodbye.wav" has finished
