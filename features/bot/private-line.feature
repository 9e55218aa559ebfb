@bot
Feature: The IVR line is one-to-one: whoever joins uninvited is removed
  The bot reads the rosters Graph sends it; a participant who is neither the caller nor the bot
  is removed (DELETE .../participants/{id}), and the call goes on.

  Scenario: Alice joins John's call and the bot removes her
    When "John" calls the bot
    Then the bot answers the call within 5 seconds
    And the bot plays the prompt "https://example.com/welcome.wav"
    And the bot subscribes to tones
    When "Alice" joins the call
    Then the bot removes "Alice" from the call
    When "John" presses 2
    Then the bot plays the prompt "https://example.com/goodbye.wav"
    And the bot hangs up
