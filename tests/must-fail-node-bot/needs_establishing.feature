# broken: needs-establishing
# The broken Node bot waits for `establishing` before it acts on `established`: when Graph delivers
# them the other way round, it never greets the caller.
# expect: And the bot plays the prompt "https://example.com/welcome.wav" within 5 seconds
# expect: expected the bot to play the prompt "https://example.com/welcome.wav" (a POST .../calls/
# expect: /playPrompt) within 5 s; the bot made 1 request(s) for this scenario
@bot
Feature: A Node bot that stalls when "established" comes before "establishing"

  Scenario: The caller is never greeted
    Given the stand-in delivers "established" before "establishing"
    When "John" calls the bot
    Then the bot answers the call within 5 seconds
    And the bot plays the prompt "https://example.com/welcome.wav" within 5 seconds
