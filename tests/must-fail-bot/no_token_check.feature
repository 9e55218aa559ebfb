# broken: no-token-check
# The broken bot accepts notifications whatever their token.
# expect: Then the bot refuses the notification
# expect: expected the bot to refuse notification 1 (created call "incoming"
# expect: ) with 401 or 403; it answered 202
@bot
Feature: A bot that skips token validation

  Scenario: A forged notification is accepted
    When the stand-in sends the bot a notification signed with a forged key
    Then the bot refuses the notification
