# broken: ignores-retry-after
# The broken Node bot retries a throttled request at once, ignoring Graph's Retry-After.
# expect: And the bot waited at least 2 seconds before retrying
# expect: the bot retried POST /v1.0/communications/calls/
# expect: expected at least 2 s (the Retry-After)
@bot
Feature: A Node bot that does not wait for Retry-After

  Scenario: The throttled prompt is retried at once
    Given Graph throttles the bot's next playPrompt with Retry-After 2
    When "John" calls the bot
    Then the bot answers the call within 5 seconds
    And the bot plays the prompt "https://example.com/welcome.wav" within 8 seconds
    And the bot waited at least 2 seconds before retrying
