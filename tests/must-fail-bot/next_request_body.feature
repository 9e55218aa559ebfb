# broken: none
# The bot is right; the spec expects a video answer, and the message names the JSON path.
# expect: Then the bot's next request matches:
# expect: $.body.acceptedModalities[0]: expected "video", got "audio"
@bot
Feature: The next request's body is checked path by path

  Scenario: The answer's modalities differ
    When "John" calls the bot
    Then the bot's next request matches:
      """
      method: POST
      path: /communications/calls/${call.id}/answer
      body:
        acceptedModalities: [video]
      """
