"""The seed notes' own layers (../shared/seeds/), as a user would keep them in a package."""
