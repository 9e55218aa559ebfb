@bot
Feature: The bot places a call when asked
  The bot's own trigger endpoint (`trigger` in bot.toml) asks it to call someone; the stand-in
  answers the bot's create as Graph does, and the callee picks up.

  Scenario: Asked to call Alice, the bot creates the call and greets her
    When the bot is asked to "POST /api/outbound" with:
      """
      userId: 0f6d3c52-8d1a-4d8b-9a43-6d1c2f0b7e11
      displayName: Alice
      """
    Then the bot creates a call matching:
      """
      "@odata.type": "#microsoft.graph.call"
      callbackUri: ${callback_uri}
      requestedModalities: [audio]
      targets:
        - identity:
            user:
              id: 0f6d3c52-8d1a-4d8b-9a43-6d1c2f0b7e11
      mediaConfig:
        "@odata.type": "#microsoft.graph.serviceHostedMediaConfig"
      """
    And the bot plays the prompt "https://example.com/welcome.wav"

  Scenario: The callee hangs up: the bot makes no further requests
    When the bot is asked to "POST /api/outbound" with:
      """
      userId: 7c0f7a8e-3b1e-4f63-8c56-2a9b0d4e5f60
      displayName: Bob
      """
    Then the bot creates a call matching:
      """
      targets:
        - identity:
            user:
              id: 7c0f7a8e-3b1e-4f63-8c56-2a9b0d4e5f60
      """
    And the bot plays the prompt "https://example.com/welcome.wav"
    When the callee hangs up
    Then the bot makes no further requests within 2 seconds

  Scenario: Graph fails the create: the bot's trigger answers 502
    Given Graph answers the next request with 500
    When the bot is asked to "POST /api/outbound", expecting 502, with:
      """
      userId: 3e9a1f4c-6b2d-4c8e-9f01-7a5b3c2d1e0f
      displayName: Carol
      """
    Then the bot's next request matches:
      """
      method: POST
      path: /communications/calls
      """
    And the bot makes no further requests within 1 second

  Scenario: Asked without waiting for its answer, the bot's call is checked as it comes
    When the bot is asked to "POST /api/outbound", without waiting for its answer, with:
      """
      userId: 9b8c7d6e-5f4a-4b3c-8d2e-1f0a9b8c7d6e
      displayName: Dave
      """
    Then the bot creates a call matching:
      """
      targets:
        - identity:
            user:
              id: 9b8c7d6e-5f4a-4b3c-8d2e-1f0a9b8c7d6e
      """
    And the bot plays the prompt "https://example.com/welcome.wav"

  Scenario: Asked for a reminder, the bot plays it and hangs up once it has finished
    Given the prompt "https://example.com/reminder.wav" lasts 4 seconds
    And the callee answers after 1 second
    When the bot is asked to "POST /api/reminder" with:
      """
      userId: 2a7e4c1d-9f3b-4e8a-b6d5-0c1f2e3d4a5b
      displayName: Erin
      """
    Then the bot creates a call matching:
      """
      callbackUri: ${callback_uri}
      targets:
        - identity:
            user:
              id: 2a7e4c1d-9f3b-4e8a-b6d5-0c1f2e3d4a5b
      """
    And the bot plays the prompt "https://example.com/reminder.wav" within 5 seconds
    And the bot hangs up after the prompt "https://example.com/reminder.wav" has finished
