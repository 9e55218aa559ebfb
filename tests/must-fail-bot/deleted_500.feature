# broken: deleted-500
# The broken bot answers 500 to the `deleted` notification that ends each call.
# expect: Then the bot has acknowledged the "deleted" notification
# expect: expected the bot to acknowledge the "deleted" notification with 2xx; it answered 500 after
# expect: (notification
# expect: deleted call "terminated" for call
@bot
Feature: A bot that fails the end of the call

  Scenario: The caller hangs up and the bot answers the deleted notification with 500
    When "John" calls the bot
    Then the bot answers the call within 5 seconds
    And the bot subscribes to tones
    When the callee hangs up
    Then the bot has acknowledged the "deleted" notification
