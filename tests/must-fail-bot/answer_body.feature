# broken: none
# The bot answers in time, with audio; the spec asks for video: the body form of the step names
# the JSON path that differs.
# expect: Then the bot answers the call within 5 seconds with:
# expect: the bot to answer the call (a POST .../calls/
# expect: the request's body (POST /v1.0/communications/calls/
# expect: acceptedModalities
@bot
Feature: The body of a bot's request is checked in the step that waits for it

  Scenario: The answer accepts audio, not video
    When "John" calls the bot
    Then the bot answers the call within 5 seconds with:
      """
      acceptedModalities: [video]
      """
