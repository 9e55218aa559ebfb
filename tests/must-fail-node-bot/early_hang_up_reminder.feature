# broken: early-hang-up
# The broken Node bot hangs up an outbound reminder call as soon as the reminder prompt has started.
# expect: And the bot hangs up after the prompt "https://example.com/reminder.wav" has finished
# expect: before the prompt "https://example.com/reminder.wav" had finished: the stand-in had not sent the completion of its playPrompt
@bot
Feature: A Node bot that hangs up before its reminder has played

  Scenario: The reminder is cut off
    Given the prompt "https://example.com/reminder.wav" lasts 4 seconds
    When the bot is asked to "POST /api/reminder" with:
      """
      userId: 2a7e4c1d-9f3b-4e8a-b6d5-0c1f2e3d4a5b
      displayName: Erin
      """
    Then the bot creates a call matching:
      """
      targets:
        - identity:
            user:
              id: 2a7e4c1d-9f3b-4e8a-b6d5-0c1f2e3d4a5b
      """
    And the bot plays the prompt "https://example.com/reminder.wav" within 5 seconds
    And the bot hangs up after the prompt "https://example.com/reminder.wav" has finished
