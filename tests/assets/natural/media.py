"""media: movies and shows at home and at the cinema, six tools, written in the eighth session
(2026-12-01) with its gold set (media.jsonl beside it) in one commit before any router was trained on it
or any data drawn from it, and before the generator changes read off banking's first run: a catalogue
the generator was not tuned on. No generator code reads the gold set.

    toolrouter catalogue show tests/assets/natural/media.py --mode compact
"""
from typing import Literal, Optional

from pydantic import ConfigDict, Field

from toolrouter import Tool


class SearchMovies(Tool):
    """Find movies to watch by genre."""

    model_config = ConfigDict(json_schema_extra={"examples": ["find me a comedy from 1999"]})
    genre: Literal["action", "comedy", "drama", "horror", "sci_fi", "documentary", "animation"] = Field(
        description="Genre of the movie.")
    year: Optional[int] = Field(default=None, ge=1950, le=2026, description="Release year.")


class AddToWatchlist(Tool):
    """Save a movie or show to the watchlist."""

    title: str = Field(description="Title of the movie or show.", examples=["The Bear", "Dune"])


class RateTitle(Tool):
    """Rate a movie or show from one to five stars."""

    title: str = Field(description="Title of the movie or show.", examples=["Oppenheimer"])
    stars: int = Field(ge=1, le=5, description="Rating in stars.")


class CastToTv(Tool):
    """Play a movie or show on a TV."""

    model_config = ConfigDict(json_schema_extra={"examples": ["put Stranger Things on the bedroom tv"]})
    title: str = Field(description="Title of the movie or show.", examples=["Stranger Things"])
    tv: Optional[Literal["living_room", "bedroom", "basement"]] = Field(
        default=None, description="Which TV; the living room one if not given.")


class SetSleepTimer(Tool):
    """Stop playback after a number of minutes."""

    minutes: int = Field(ge=5, le=180, description="Minutes until playback stops.")


class BuyTickets(Tool):
    """Buy cinema tickets for a movie."""

    movie: str = Field(description="Title of the movie.", examples=["Wicked"])
    tickets: int = Field(ge=1, le=10, description="Number of tickets.")
    showtime: Optional[str] = Field(default=None, pattern=r"^\d{2}:\d{2}$", description="Showing time, 24-hour HH:MM.")


CATALOGUE = [SearchMovies, AddToWatchlist, RateTitle, CastToTv, SetSleepTimer, BuyTickets]
