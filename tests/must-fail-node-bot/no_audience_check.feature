# broken: no-audience-check
# The broken bot checks the signature, issuer and expiry, but not the audience.
# expect: Then the bot refuses the notification
# expect: expected the bot to refuse notification 1 (created call "incoming"
# expect: ) with 401 or 403; it answered 202
@bot
Feature: A Node bot that accepts a token Graph signed for another app

  Scenario: A notification for another app is accepted
    When the stand-in sends the bot a notification for another app
    Then the bot refuses the notification
