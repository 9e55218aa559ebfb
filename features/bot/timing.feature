@bot
Feature: The bot copes with Graph's timing: throttling, reordering, prompts of their own length
  Graph throttles with 429 and a Retry-After, may deliver notifications out of order or twice,
  and completes a prompt when it has played. The bot-action steps look past a throttled try to
  the accepted retry; each takes `within` and a `with:` body, so two facts about one request
  fit one step.

  Scenario: Graph throttles the answer: the bot retries after the Retry-After
    Given Graph throttles the next request with Retry-After 1
    When "John" calls the bot
    Then the bot answers the call within 5 seconds
    And the bot waited at least 1 second before retrying
    And the bot plays the prompt "https://example.com/welcome.wav"

  Scenario: Graph throttles the bot's playPrompt with a Retry-After given as an HTTP date
    Given Graph throttles the bot's next microsoft.graph.playPrompt with Retry-After 2 seconds from now as a date
    When "John" calls the bot
    Then the bot answers the call within 5 seconds
    And the bot plays the prompt "https://example.com/welcome.wav" within 8 seconds
    And the bot waited at least 2 seconds before retrying
    And the bot subscribes to tones within 5 seconds

  Scenario: Two facts about one request: the answer comes in time, and its body is right
    When "John" calls the bot
    Then the bot answers the call within 2 seconds with:
      """
      callbackUri: ${callback_uri}
      acceptedModalities: [audio]
      mediaConfig:
        "@odata.type": "#microsoft.graph.serviceHostedMediaConfig"
      """
    And the bot plays the prompt "https://example.com/welcome.wav" within 5 seconds with:
      """
      prompts:
        - mediaInfo:
            uri: https://example.com/welcome.wav
      """
    And the bot subscribes to tones within 5 seconds
    When "John" presses 1
    Then the bot transfers the call to "Alice" within 3 seconds with:
      """
      transferTarget:
        identity:
          user:
            displayName: Alice
      """

  Scenario: "established" arrives before "establishing": the bot still greets the caller
    Given the stand-in delivers "established" before "establishing"
    When "John" calls the bot
    Then the bot answers the call within 5 seconds
    And the bot plays the prompt "https://example.com/welcome.wav" within 5 seconds
    And the bot subscribes to tones

  Scenario: A key press that arrives after the hang-up is not acted on
    Given the stand-in delivers the key press after the hang-up
    When "John" calls the bot
    Then the bot answers the call within 5 seconds
    And the bot plays the prompt "https://example.com/welcome.wav"
    And the bot subscribes to tones
    When "John" presses 1
    And the callee hangs up
    Then the bot makes no further requests within 2 seconds

  Scenario: The incoming call's notification arrives twice: the bot answers once
    Given the stand-in delivers the next notification twice
    When "John" calls the bot
    Then the bot answers the call within 5 seconds
    And the bot plays the prompt "https://example.com/welcome.wav"
    And the bot's next request matches:
      """
      method: POST
      path: /communications/calls/${call.id}/subscribeToTone
      """

  Scenario: The goodbye prompt lasts 4 seconds: the bot hangs up once it has finished
    Given the prompt "https://example.com/goodbye.wav" lasts 4 seconds
    When "John" calls the bot
    Then the bot answers the call within 5 seconds
    And the bot plays the prompt "https://example.com/welcome.wav"
    And the bot subscribes to tones
    When "John" presses 2
    Then the bot plays the prompt "https://example.com/goodbye.wav" within 3 seconds
    And the bot hangs up after the prompt "https://example.com/goodbye.wav" has finished
