@bot
Feature: The bot acts only on notifications Graph signed for it
  Anyone can POST to a bot's webhook: a bot must check the token on every notification and
  refuse, with 401 or 403, one that Graph did not sign for this app.

  Scenario Outline: A notification <how> is refused and acted on in no way
    When the stand-in sends the bot a notification <how>
    Then the bot refuses the notification
    And the bot makes no further requests within 2 seconds

    Examples:
      | how                      |
      | signed with a forged key |
      | with an expired token    |
      | for another app          |
      | with no token            |
