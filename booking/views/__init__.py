"""The booking app's pages: the catalogue, the booking flow, the client's private pages and
the therapist's job page (one module each; ``common`` holds what they share)."""
