# broken: no-tone-subscription
# The broken Node bot never subscribes to tones: a key press would vanish, so the key-press
# step fails and says why, instead of the transfer step failing later with no hint.
# expect: When "John" presses 1
# expect: the key 1 cannot be pressed yet: the bot has not subscribed to tones (no accepted POST .../subscribeToTone) after 10 s
@bot
Feature: A key pressed before the bot can hear it

  Scenario: The bot never subscribed to tones
    When "John" calls the bot
    Then the bot answers the call within 5 seconds
    And the bot plays the prompt "https://example.com/welcome.wav"
    When "John" presses 1
    Then the bot transfers the call to "Alice"
