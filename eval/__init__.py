"""The hand-labelled dev set and its evaluation (`make eval`)."""
