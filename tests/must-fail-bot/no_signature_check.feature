# broken: no-signature-check
# The broken bot finds the token's key by kid but never checks the signature.
# expect: Then the bot answers the notification with 401
# expect: signed with another key under a published key id) with 401; it answered 202
@bot
Feature: A bot that never checks a notification token's signature

  Scenario: The forged notification is not refused with 401
    When the stand-in sends the bot a notification signed with another key under a published key id
    Then the bot answers the notification with 401
