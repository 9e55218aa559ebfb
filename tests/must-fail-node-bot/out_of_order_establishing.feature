# broken: needs-establishing
# Out-of-order delivery holds `establishing` back, in wall time, until `established` has been
# delivered: the broken bot, which waits for `establishing` first, never greets the caller.
# expect: And the bot plays the prompt "https://example.com/welcome.wav" within 5 seconds
# expect: /playPrompt) within 5 s; the bot made 1 request(s) for this scenario
@bot
Feature: Out-of-order delivery in wall time

  Scenario: "established" overtakes "establishing"
    Given the stand-in delivers notifications out of order
    When "John" calls the bot
    Then the bot answers the call within 5 seconds
    And the bot plays the prompt "https://example.com/welcome.wav" within 5 seconds
