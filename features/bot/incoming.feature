@bot
Feature: The IVR bot answers its callers, greets them and routes them
  These specs drive a bot of your own (`callspec run features/bot --bot bot.toml`): the
  stand-in plays Graph and the callers, and each step checks what the bot does. The example is
  the IVR bot in examples/ivr-bot. Waits are wall time: the bot runs on real clocks.

  Scenario: The bot answers a Teams caller and plays the welcome prompt
    When "John" calls the bot
    Then the bot answers the call within 5 seconds
    And the bot plays the prompt "https://example.com/welcome.wav"
    And the bot subscribes to tones
    And the bot acknowledged every notification with 2xx within 3 seconds

  Scenario: The bot answers a phone caller
    When "+12345678901" calls the bot
    Then the bot answers the call within 5 seconds
    And the bot plays the prompt "https://example.com/welcome.wav"

  Scenario: The bot's answer follows Graph's rules
    The stand-in checks the answer as Graph does (callbackUri, acceptedModalities,
    mediaConfig); this spec also pins down what the bot sends.

    When "John" calls the bot
    Then the bot's next request matches:
      """
      method: POST
      path: /communications/calls/${call.id}/answer
      body:
        callbackUri: ${callback_uri}
        acceptedModalities: [audio]
        mediaConfig:
          "@odata.type": "#microsoft.graph.serviceHostedMediaConfig"
      """

  Scenario: Pressing 1 transfers the caller to Alice
    When "John" calls the bot
    Then the bot answers the call within 5 seconds
    And the bot plays the prompt "https://example.com/welcome.wav"
    And the bot subscribes to tones
    When "John" presses 1
    Then the bot transfers the call to "Alice"

  Scenario: Pressing 2 plays goodbye, then the bot hangs up
    When "John" calls the bot
    Then the bot answers the call within 5 seconds
    And the bot plays the prompt "https://example.com/welcome.wav"
    And the bot subscribes to tones
    When "John" presses 2
    Then the bot plays the prompt "https://example.com/goodbye.wav"
    And the bot hangs up
    And the bot makes no further requests within 1 second

  Scenario: Many callers at once each get their own call
    All scenarios run concurrently against the one bot process; this one holds two of its own
    calls at the same time as the others.

    When "Ann" calls the bot
    Then the bot answers the call within 5 seconds
    When "Ben" calls the bot
    Then the bot answers the call within 5 seconds
    And the bot plays the prompt "https://example.com/welcome.wav"
