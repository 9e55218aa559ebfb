# An Examples line without its colon.
Feature: Bad input - Examples without a colon
  Scenario Outline: a template per row
    Given a call request from template "<template>"
    Examples
      | template                   |
      | v1/p2p-voip-service-hosted |
