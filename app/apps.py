from django.apps import AppConfig


class GroundworkConfig(AppConfig):
    name = "app"
    label = "groundwork"
    verbose_name = "Groundwork"

    def ready(self) -> None:
        # The runtime rebuilds a missing or corrupt index through the indexing service; it
        # is registered here because runtime must not import indexing (which imports runtime).
        from app.services import runtime
        from app.services.indexing import rebuild_index

        runtime.set_index_rebuilder(rebuild_index)
