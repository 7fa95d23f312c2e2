/* Names of Data-Juicer's operators (configs/config_all.yaml of Data-Juicer 1.4.3), so that a
 * recipe naming one djmpi does not implement gets "not available in djmpi" rather than a
 * misleading spelling suggestion. Sorted for bsearch. */
#include <stdlib.h>
#include <string.h>

#include "recipe_int.h"

static const char *const dj_names[] = {
	"alphanumeric_filter", "audio_add_gaussian_noise_mapper", "audio_duration_filter",
	"audio_ffmpeg_wrapped_mapper", "audio_nmf_snr_filter", "audio_size_filter",
	"average_line_length_filter", "calibrate_qa_mapper", "calibrate_query_mapper",
	"calibrate_response_mapper", "character_repetition_filter", "chinese_convert_mapper",
	"clean_copyright_mapper", "clean_email_mapper", "clean_html_mapper", "clean_ip_mapper",
	"clean_links_mapper", "dialog_intent_detection_mapper", "dialog_sentiment_detection_mapper",
	"dialog_sentiment_intensity_mapper", "dialog_topic_detection_mapper", "document_deduplicator",
	"document_minhash_deduplicator", "document_simhash_deduplicator", "download_file_mapper",
	"entity_attribute_aggregator", "expand_macro_mapper", "extract_entity_attribute_mapper",
	"extract_entity_relation_mapper", "extract_event_mapper", "extract_keyword_mapper",
	"extract_nickname_mapper", "extract_support_text_mapper", "extract_tables_from_html_mapper",
	"fix_unicode_mapper", "flagged_words_filter", "frequency_specified_field_selector",
	"general_field_filter", "generate_qa_from_examples_mapper", "generate_qa_from_text_mapper",
	"image_aesthetics_filter", "image_aspect_ratio_filter", "image_blur_mapper",
	"image_captioning_from_gpt4v_mapper", "image_captioning_mapper", "image_deduplicator",
	"image_diffusion_mapper", "image_face_blur_mapper", "image_face_count_filter",
	"image_face_ratio_filter", "image_nsfw_filter", "image_pair_similarity_filter",
	"image_remove_background_mapper", "image_segment_mapper", "image_shape_filter",
	"image_size_filter", "image_tagging_mapper", "image_text_matching_filter",
	"image_text_similarity_filter", "image_watermark_filter",
	"imgdiff_difference_area_generator_mapper", "imgdiff_difference_caption_generator_mapper",
	"in_context_influence_filter", "instruction_following_difficulty_filter", "key_value_grouper",
	"language_id_score_filter", "llm_difficulty_score_filter", "llm_perplexity_filter",
	"llm_quality_score_filter", "llm_task_relevance_filter", "maximum_line_length_filter",
	"meta_tags_aggregator", "mllm_mapper", "most_relevant_entities_aggregator", "naive_grouper",
	"naive_reverse_grouper", "nested_aggregator", "nlpaug_en_mapper", "nlpcda_zh_mapper",
	"optimize_qa_mapper", "optimize_query_mapper", "optimize_response_mapper",
	"pair_preference_mapper", "perplexity_filter", "phrase_grounding_recall_filter",
	"punctuation_normalization_mapper", "python_file_mapper", "python_lambda_mapper",
	"query_intent_detection_mapper", "query_sentiment_detection_mapper",
	"query_topic_detection_mapper", "random_selector", "range_specified_field_selector",
	"ray_bts_minhash_deduplicator", "ray_document_deduplicator", "ray_image_deduplicator",
	"ray_video_deduplicator", "relation_identity_mapper", "remove_bibliography_mapper",
	"remove_comments_mapper", "remove_header_mapper", "remove_long_words_mapper",
	"remove_non_chinese_character_mapper", "remove_repeat_sentences_mapper",
	"remove_specific_chars_mapper", "remove_table_text_mapper",
	"remove_words_with_incorrect_substrings_mapper", "replace_content_mapper",
	"sdxl_prompt2prompt_mapper", "sentence_augmentation_mapper", "sentence_split_mapper",
	"special_characters_filter", "specified_field_filter", "specified_numeric_field_filter",
	"stopwords_filter", "suffix_filter", "tags_specified_field_selector", "text_action_filter",
	"text_chunk_mapper", "text_embd_similarity_filter", "text_entity_dependency_filter",
	"text_length_filter", "text_pair_similarity_filter", "token_num_filter",
	"topk_specified_field_selector", "type", "video_aesthetics_filter", "video_aspect_ratio_filter",
	"video_captioning_from_audio_mapper", "video_captioning_from_frames_mapper",
	"video_captioning_from_summarizer_mapper", "video_captioning_from_video_mapper",
	"video_deduplicator", "video_duration_filter", "video_extract_frames_mapper",
	"video_face_blur_mapper", "video_ffmpeg_wrapped_mapper", "video_frames_text_similarity_filter",
	"video_motion_score_filter", "video_motion_score_raft_filter", "video_nsfw_filter",
	"video_ocr_area_ratio_filter", "video_remove_watermark_mapper",
	"video_resize_aspect_ratio_mapper", "video_resize_resolution_mapper", "video_resolution_filter",
	"video_split_by_duration_mapper", "video_split_by_key_frame_mapper",
	"video_split_by_scene_mapper", "video_tagging_from_audio_mapper",
	"video_tagging_from_frames_filter", "video_tagging_from_frames_mapper", "video_watermark_filter",
	"whitespace_normalization_mapper", "word_repetition_filter", "words_num_filter",
};

static int cmp(const void *k, const void *e)
{
	return strcmp((const char *)k, *(const char *const *)e);
}

bool dj_recipe__is_data_juicer_op(const char *name)
{
	return bsearch(name, dj_names, sizeof(dj_names) / sizeof(dj_names[0]), sizeof(dj_names[0]), cmp) != NULL;
}
