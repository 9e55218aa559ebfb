# broken: none
# The bot is right: Graph accepts the create and the trigger answers 202; the spec wants 502.
# expect: When the bot is asked to "POST /api/outbound", expecting 502, with:
# expect: the bot answered POST http://127.0.0.1:
# expect: /api/outbound with 202, expected 502
@bot
Feature: A trigger answer the spec did not expect

  Scenario: Graph accepts the create, so the trigger does not answer 502
    When the bot is asked to "POST /api/outbound", expecting 502, with:
      """
      userId: 2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d
      displayName: Erin
      """
