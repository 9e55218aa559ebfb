# A feature with no scenarios: a warning (nothing is lost).
Feature: Bad input - no scenarios
  Only words here.
