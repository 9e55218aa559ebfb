# broken: deleted-500
# The broken bot answers 500 to the `deleted` notification that ends each call.
# expect: And the bot acknowledged every notification with 2xx within 1 second
# expect: at tests/must-fail-bot/deleted_500_every.feature:17:5
# expect: expected every notification acknowledged with 2xx within 1.0 s
# expect: deleted notification for call
# expect: answered 500 after
@bot
Feature: A bot that fails the end of the call, judged with every notification

  Scenario: The bot hangs up and answers the deleted notification with 500
    When "John" calls the bot
    Then the bot answers the call within 5 seconds
    And the bot subscribes to tones
    When "John" presses 2
    Then the bot hangs up
    And the bot acknowledged every notification with 2xx within 1 second
