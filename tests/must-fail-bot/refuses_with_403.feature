# broken: refuses-with-403
# The broken bot refuses a bad notification token with 403, where Graph's rule is 401.
# expect: Then the bot answers the notification with 401
# expect: with no token) with 401; it answered 403
@bot
Feature: A bot that refuses a bad token with the wrong status

  Scenario: The forged notification is not refused with 401
    When the stand-in sends the bot a notification with no token
    Then the bot answers the notification with 401
