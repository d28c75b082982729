"""Text stage (private): scraper debris out, the fields each feature reads, language, near-copies.

``cleaning`` removes boilerplate and keyword spam, ``fields`` builds the texts the features read
(title + lead for the embedding, title + body for TF-IDF, capitalised words and numbers),
``language`` fills missing languages, ``dedup`` marks wire copies, ``preparation`` applies
cleaning and length limits to an article.
"""
