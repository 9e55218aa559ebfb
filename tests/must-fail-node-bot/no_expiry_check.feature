# broken: no-expiry-check
# The broken bot checks the signature, issuer and audience, but not the expiry.
# expect: Then the bot refuses the notification
# expect: expected the bot to refuse notification 1 (created call "incoming"
# expect: ) with 401 or 403; it answered 202
@bot
Feature: A Node bot that accepts expired tokens

  Scenario: An expired notification is accepted
    When the stand-in sends the bot a notification with an expired token
    Then the bot refuses the notification
