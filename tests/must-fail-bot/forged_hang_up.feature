# broken: no-signature-check
# The broken bot never checks the signature: a forged hang-up makes it forget a call that is up.
# expect: Then the bot answers the notification with 401
# expect: expected the bot to answer notification
# expect: (deleted call "terminated" for call
# expect: signed with another key under a published key id)
# expect: it answered 202
@bot
Feature: A bot that believes a forged hang-up

  Scenario: The forged hang-up is acted on
    When "John" calls the bot
    Then the bot answers the call within 5 seconds
    And the bot subscribes to tones
    Given the stand-in sends the next notification signed with another key under a published key id
    When a forged hang-up of the call reaches the bot
    Then the bot answers the notification with 401
