# broken: no-issuer-check
# The broken bot accepts notification tokens from any issuer.
# expect: Then the bot answers the notification with 401
# expect: from another issuer) with 401; it answered 202
@bot
Feature: A bot that never checks a notification token's issuer

  Scenario: The forged notification is not refused with 401
    When the stand-in sends the bot a notification from another issuer
    Then the bot answers the notification with 401
