# broken: none
# The bot greets the caller after answering; the spec says it stays silent.
# expect: And the bot makes no further requests within 3 seconds
# expect: expected no further requests from the bot within 3.0 s; it made:
# expect: /answer → 202 (matched by an earlier step)
# expect: /playPrompt
@bot
Feature: Silence is checked

  Scenario: The bot does more after answering
    When "John" calls the bot
    Then the bot answers the call within 5 seconds
    And the bot makes no further requests within 3 seconds
