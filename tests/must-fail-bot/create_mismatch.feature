# broken: none
# The bot creates an audio call; the spec expects video, and the message names the JSON path.
# expect: Then the bot creates a call matching:
# expect: the bot's create does not match the docstring: 1 mismatch:
# expect: $.requestedModalities[0]: expected "video", got "audio"
@bot
Feature: The bot's create is checked path by path

  Scenario: The call's modalities differ
    When the bot is asked to "POST /api/outbound" with:
      """
      userId: 3e0c8a51-6f7b-4c2e-9d84-1a5b7c9e2f30
      displayName: Carol
      """
    Then the bot creates a call matching:
      """
      requestedModalities: [video]
      """
