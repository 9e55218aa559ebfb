# A Scenario Outline without Examples would run once with a literal <template>.
Feature: Bad input - an outline without examples
  Scenario Outline: a template per row
    Given a call request from template "<template>"
